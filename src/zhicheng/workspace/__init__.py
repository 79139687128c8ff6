"""The composition floor: what combines services (see docs/architecture.md).

Services never import each other; the demo builders (:mod:`~zhicheng.workspace.demo`,
:mod:`~zhicheng.workspace.survey_demo`), the alert → event bridge (:mod:`~zhicheng.workspace.alerts`)
and the factories that wire services together (:mod:`~zhicheng.workspace.services`) live here,
between the services and the entry points.
"""
