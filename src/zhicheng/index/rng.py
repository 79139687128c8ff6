"""R's default random streams, to repeat a COINr uncertainty or sensitivity run exactly.

COINr draws everything from R's generator (Mersenne-Twister, ``sample.kind = "Rejection"``):
``runif()`` for the noisy weights and the Monte Carlo sample, ``sample()`` for the bootstrap.
:class:`RCompatibleRNG` gives the same numbers as R after ``set.seed(seed)``, through the two
methods the analysis uses (``random`` and ``integers``, as on a numpy ``Generator``), so
``run_sensitivity(..., rng=RCompatibleRNG(42))`` repeats COINr's ``set.seed(42)`` run.

References
----------
R Core Team, R 4.x ``src/main/RNG.c``: ``Randomize()`` / ``RNG_Init()`` (seed scrambling by the
LCG ``69069 s + 1``), ``MT_genrand()`` (Matsumoto & Nishimura (1998), MT19937, scaled by
``2.3283064365386963e-10``), ``fixup()``, ``rbits()`` and ``R_unif_index()`` (rejection sampling,
R >= 3.6.0).
"""

from __future__ import annotations

import math

import numpy as np

_SCALE = 2.3283064365386963e-10  # 2^-32, R's MT_genrand
_I2_32M1 = 2.328306437080797e-10  # 1 / (2^32 - 1), R's fixup


class RCompatibleRNG:
    """R's Mersenne-Twister after ``set.seed(seed)``: ``runif`` and ``sample`` streams.

    Parameters
    ----------
    seed
        The integer given to R's ``set.seed()``.

    References
    ----------
    R ``src/main/RNG.c`` (``RNG_Init``, ``MT_genrand``, ``unif_rand``, ``R_unif_index``).
    """

    def __init__(self, seed: int) -> None:
        s = int(seed) & 0xFFFFFFFF
        for _ in range(50):
            s = (69069 * s + 1) & 0xFFFFFFFF
        words = []
        for _ in range(625):
            s = (69069 * s + 1) & 0xFFFFFFFF
            words.append(s)
        self._bits = np.random.MT19937()
        # words[0] is R's position slot, reset to 624 ("regenerate on first use") by FixupSeeds
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": np.array(words[1:], dtype=np.uint32), "pos": 624}}
        self._buffer = np.empty(0)

    def _uniforms(self, k: int) -> np.ndarray:
        take = self._buffer[:k]
        self._buffer = self._buffer[k:]
        if take.size == k:
            return take
        raw = np.asarray(self._bits.random_raw(k - take.size), dtype=np.float64) * _SCALE
        raw[raw <= 0.0] = 0.5 * _I2_32M1
        raw[1.0 - raw <= 0.0] = 1.0 - 0.5 * _I2_32M1
        return np.concatenate([take, raw])

    def random(self, size: int | tuple[int, ...]) -> np.ndarray:
        """R's ``runif(prod(size))`` filled in C order [fraction]."""
        shape = (size,) if isinstance(size, int) else tuple(size)
        return self._uniforms(math.prod(shape)).reshape(shape)

    def integers(self, low: int, high: int, size: int | tuple[int, ...]) -> np.ndarray:
        """``low`` + R's ``sample.int(high - low, prod(size), replace = TRUE) - 1``, in C order.

        Each index is R's ``R_unif_index``: ``ceil(log2(n))`` random bits from 16-bit chunks of
        uniforms, drawn again until below ``n``.
        """
        n = int(high) - int(low)
        if n <= 0:
            raise ValueError("integers: high must exceed low")
        shape = (size,) if isinstance(size, int) else tuple(size)
        count = math.prod(shape)
        bits = math.ceil(math.log2(n))
        per = bits // 16 + 1
        parts: list[np.ndarray] = []
        need = count
        while need > 0:
            m = max(2 * need, 64)
            u = self._uniforms(m * per).reshape(m, per)
            v = np.zeros(m, dtype=np.int64)
            for c in range(per):
                v = 65536 * v + np.floor(u[:, c] * 65536).astype(np.int64)
            v &= (1 << bits) - 1
            ok = np.flatnonzero(v < n)
            if ok.size >= need:
                last = int(ok[need - 1])
                parts.append(v[ok[:need]])
                self._buffer = np.concatenate([u[last + 1:].ravel(), self._buffer])
                need = 0
            else:
                parts.append(v[ok])
                need -= ok.size
        return (np.concatenate(parts) + int(low)).reshape(shape)
