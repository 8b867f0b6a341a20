"""Planning, pure: phase states, app compatibility, lock findings, reports. No connection.

``zdmigrate.plan.plan(paths, dialect, old_app=..., new_app=...)`` is what ``zdmigrate plan``
runs; see :mod:`zdmigrate.plan.planner`.
"""

from zdmigrate.plan.planner import plan

__all__ = ["plan"]
