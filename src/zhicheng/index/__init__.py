"""Composite-index engine: COINr's pipeline in numpy/pandas (no I/O).

Typical use::

    coin = Coin.from_coinr(idata, imeta)
    res = Pipeline(coin, [{"treat": {"winmax": 5}},
                          {"normalise": {"method": "minmax", "l_u": [0, 100]}},
                          {"aggregate": {"method": "amean"}}]).run()
    res.aggregated, res.rank_table()

or, from a plain hierarchy, :func:`run_pipeline`.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators: Methodology and User Guide*.
Becker W. et al. (2022), "COINr: An R package for developing composite indicators", JOSS 7(78).
"""

from zhicheng.index.coin import Coin, Node
from zhicheng.index.errors import IndexInputError
from zhicheng.index.pipeline import Pipeline, Results, run_pipeline

__all__ = ["Coin", "IndexInputError", "Node", "Pipeline", "Results", "run_pipeline"]
