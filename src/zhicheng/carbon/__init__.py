"""Carbon and energy accounting (智慧能源 · 绿色低碳): inventories, peaking, drivers, targets.

The pure core (no I/O beyond its packaged data, no store): :mod:`~zhicheng.carbon.catalogue`
(column, sector, province, target and emission-factor data), :mod:`~zhicheng.carbon.inventory`
(CEADs sheets → checked long table), :mod:`~zhicheng.carbon.analysis`,
:mod:`~zhicheng.carbon.peaking`, :mod:`~zhicheng.carbon.lmdi`, :mod:`~zhicheng.carbon.targets`,
:mod:`~zhicheng.carbon.meters`. The service (:mod:`~zhicheng.carbon.service`,
:mod:`~zhicheng.carbon.report`) loads and reads the store.
"""
