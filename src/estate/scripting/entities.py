"""Script results as the query engine reads them, for reports (estate.reporting): one record per
machine of a run, with its script and machine named."""

from __future__ import annotations

from sqlalchemy import select

from estate.inventory.models import Machine
from estate.query import Entity, Field, Kind, Level, Nesting, Style
from estate.scripting.models import Script, ScriptRun, ScriptRunMachine

_rm, _run, _s, _m = (ScriptRunMachine.__table__.c, ScriptRun.__table__.c, Script.__table__.c,
                     Machine.__table__.c)
_results = (
    select(_rm.id, _rm.organization_id, _rm.status, _rm.exit_code, _rm.message, _rm.requested, _rm.started,
           _rm.finished, _rm.machine_id, _m.name.label("machine_name"), _run.id.label("run_id"), _run.kind,
           _s.id.label("script_id"), _s.name.label("script_name"), _s.type.label("script_type"))
    .select_from(ScriptRunMachine.__table__.join(ScriptRun.__table__, _run.id == _rm.run_id)
                 .join(Script.__table__, _s.id == _run.script_id).join(Machine.__table__, _m.id == _rm.machine_id))
    .subquery("script_results")
)
_r = _results.c

SCRIPT_RESULT = Entity(
    name="script_result",
    plural="ScriptResults",
    table=_results,
    id_field="id",
    name_field="script",
    organization_column=_r.organization_id,
    style=Style.ISO,
    nesting=Nesting.NAMED,
    aliases=("script_results",),
    fields=(
        Field("id", _r.id, Kind.INT, Level.LIMITED),
        Field("script", _r.script_name, Kind.TEXT, Level.LIMITED, wildcard=True),
        Field("scriptId", _r.script_id, Kind.INT),
        Field("scriptType", _r.script_type),
        Field("run", _r.run_id, Kind.INT),
        Field("kind", _r.kind),
        Field("machine", _r.machine_name, wildcard=True),
        Field("machineId", _r.machine_id, Kind.INT),
        Field("status", _r.status),
        Field("exitCode", _r.exit_code, Kind.INT),
        Field("message", _r.message, wildcard=True),
        Field("requested", _r.requested, Kind.DATETIME),
        Field("started", _r.started, Kind.DATETIME),
        Field("finished", _r.finished, Kind.DATETIME),
    ),
)
