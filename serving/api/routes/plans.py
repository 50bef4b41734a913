"""The agency's yearly development program (issue 14): ``POST /v1/plans`` starts a planning
job (:func:`recsys.planning.agency_program.plan_program`, seconds to minutes), the client
polls ``GET /v1/plans/{job_id}`` and downloads ``…/document`` (the Pasal 207(3) workbook, or
its item table as CSV).

Jobs run one at a time on a worker thread (planning uses every core; the event loop stays
free), at most :data:`MAX_PENDING` queued or running (then 429), and the last
:data:`MAX_JOBS` are kept in memory (lost on restart). They plan on the generation served
when they were asked (a reload meanwhile does not change them). The server's shutdown
cancels queued jobs and stops a running one at its next stage.

Every request is audited; the job and its status carry no personal data (``nip`` empty in
the record), the document lists NIPs, so its download writes one record per NIP in it.

The planner (pandas, SciPy, the models, the workbook writer) is imported on a worker thread
by the first planning request, not with the module: a worker that only serves the store's
reads never loads it.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi import status as http
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from serving.access.api_keys import Caller
from serving.access.audit import AuditLog
from serving.access.rate_limit import too_many_requests
from serving.api.deps import AuditDep, BatchCaller, ServedDep
from serving.api.errors import ERRORS
from serving.generation.state import TRAINING_MODEL, Served
from serving.schemas import plans as schemas
from serving.schemas import responses

if TYPE_CHECKING:
    import pandas as pd

    from recsys.planning.agency_program import AgencyProgram
    from recsys.planning.plan_document import PlanDocument
    from recsys.planning.program import PlanInputError, PlanLimits

log = logging.getLogger(__name__)

#: Jobs kept in memory (the oldest finished ones are dropped first).
MAX_JOBS = 20
#: Jobs queued or running at once; over it a new one is refused (429).
MAX_PENDING = 3
#: Seconds a refused client is told to wait.
RETRY_SECONDS = 30.0
#: Where a job is polled.
POLL = "/v1/plans/{job_id}"
#: A job's id in a path.
JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$", description="a planning job's id")]
#: The document's file types and how they are sent.
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
#: Reasons counted besides the planner's (a person below 20 JP it gives no reason for).
UNEXPLAINED = "unexplained"


class _Cancelled(Exception):
    """The server is stopping: the job ends at its next stage."""


@dataclass
class PlanJob:
    """One planning job; the worker sets its status, stage and result as it goes."""

    job_id: str
    request: schemas.PlanRequest
    served: Served | None  # dropped once done: a finished job keeps only what it answers
    model_version: str
    created_at: str = field(default_factory=lambda: _now())
    status: schemas.JobStatus = "queued"
    stage: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    error: str | None = None
    result: schemas.PlanResult | None = None
    document: PlanDocument | None = None

    @property
    def pending(self) -> bool:
        return self.status in ("queued", "running")

    def answer(self) -> schemas.PlanJob:
        return schemas.PlanJob(
            job_id=self.job_id,
            status=self.status,
            stage=self.stage,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            model_version=self.model_version,
            error=self.error,
            result=self.result,
        )


class PlanJobs:
    """The app's planning jobs: one worker thread, the last :data:`MAX_JOBS` kept."""

    def __init__(self, *, max_jobs: int = MAX_JOBS, max_pending: int = MAX_PENDING) -> None:
        self.max_jobs = max_jobs
        self.max_pending = max_pending
        self._jobs: OrderedDict[str, PlanJob] = OrderedDict()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plan")

    def submit(self, request: schemas.PlanRequest, served: Served) -> PlanJob | None:
        """A new queued job, or None when :attr:`max_pending` jobs are already pending."""
        job = PlanJob(
            job_id=uuid.uuid4().hex,
            request=request,
            served=served,
            model_version=f"{TRAINING_MODEL}={served.versions.get(TRAINING_MODEL, '')}",
        )
        with self._lock:
            if sum(j.pending for j in self._jobs.values()) >= self.max_pending:
                return None
            self._jobs[job.job_id] = job
            finished = [k for k, j in self._jobs.items() if not j.pending]
            for old in finished[: max(0, len(self._jobs) - self.max_jobs)]:
                del self._jobs[old]
        self._worker.submit(self._run, job)
        return job

    def get(self, job_id: str) -> PlanJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self) -> None:
        """Cancel the queued jobs; a running one stops at its next stage."""
        self._closing.set()
        self._worker.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            for job in self._jobs.values():
                if job.status == "queued":
                    self._finish(job, "cancelled", "the server stopped before the job ran")

    def _run(self, job: PlanJob) -> None:
        from recsys.planning.program import PlanInputError

        if self._closing.is_set() or job.status != "queued":
            return
        job.status, job.started_at = "running", _now()
        try:
            job.result, job.document = _plan(job, self._progress(job))
        except _Cancelled:
            self._finish(job, "cancelled", "the server stopped while the job ran")
        except PlanInputError as exc:
            self._finish(job, "failed", str(exc))
        except Exception as exc:
            log.exception("planning job %s failed", job.job_id)
            self._finish(job, "failed", f"planning failed ({type(exc).__name__}: {exc})")
        else:
            self._finish(job, "done", None)

    def _progress(self, job: PlanJob) -> Any:
        def step(stage: str) -> None:
            if self._closing.is_set():
                raise _Cancelled
            job.stage = stage
            log.info("planning job %s: %s", job.job_id, stage)

        return step

    @staticmethod
    def _finish(job: PlanJob, status: schemas.JobStatus, error: str | None) -> None:
        job.error, job.finished_at, job.served = error, _now(), None
        job.status = status  # last: a poll that sees the status sees the rest


def _now() -> str:
    return datetime.now(UTC).isoformat()


# ----------------------------------------------------------------------------- planning


def _limits(request: schemas.PlanRequest) -> PlanLimits:
    from recsys.planning.program import PlanLimits

    return PlanLimits(
        budget_idr=request.budget_idr,
        unit_budgets=request.unit_budgets,
        seats=request.seats,
        max_jp_per_person=request.max_jp_per_person,
        classroom_share=request.classroom_share,
        remote_budget_share=request.remote_budget_share,
    )


def _check(request: schemas.PlanRequest, served: Served) -> None:
    """What :func:`plan_program` checks before any work, checked before the job starts:
    the 422 naming the field. On a worker thread: the first check loads the planner (and,
    over a store, the data set)."""
    from recsys.planning.agency_program import plan_inputs
    from recsys.planning.program import PlanInputError

    try:
        plan_inputs(
            served.dataset,
            _limits(request),
            agency=request.agency,
            year=request.year,
            required=_mandatory(request),
        )
    except PlanInputError as exc:
        raise _invalid(exc) from exc


def _plan(job: PlanJob, step: Any) -> tuple[schemas.PlanResult, PlanDocument]:
    from recsys.planning.agency_program import plan_document, plan_program

    served = job.served
    assert served is not None, "a queued job holds its generation"
    request = job.request
    program = plan_program(
        served.dataset,
        served.models.trainings,
        _limits(request),
        agency=request.agency,
        year=request.year,
        curve=request.curve,
        required=_mandatory(request),
        on_progress=step,
    )
    return _result(program), plan_document(program, served.dataset)


def _mandatory(request: schemas.PlanRequest) -> pd.DataFrame | None:
    import pandas as pd

    if not request.mandatory:
        return None
    return pd.DataFrame([m.model_dump() for m in request.mandatory])


def _result(program: AgencyProgram) -> schemas.PlanResult:
    """The job's answer: totals and counts only, no row per person."""
    from recsys.planning.program import SHORTFALL_REASONS

    people = program.plan.people
    below = people[people["shortfall"].to_numpy(dtype=float) > 1e-9]
    reasons = below["reason"].fillna("").astype(str).replace("", UNEXPLAINED)
    by_reason = {reason: 0 for reason in SHORTFALL_REASONS}
    by_reason.update({str(r): int(n) for r, n in reasons.value_counts().items()})
    curve = [] if program.curve is None else program.curve.to_dict("records")
    return schemas.PlanResult(
        summary={k: _finite(v) for k, v in program.summary().items()},
        curve=[
            schemas.CurvePoint.model_validate({str(k): _finite(v) for k, v in row.items()})
            for row in curve
        ],
        units=_units(program),
        below_minimum=schemas.BelowMinimum(total=len(below), by_reason=by_reason),
        service=_service(program),
    )


def _service(program: AgencyProgram) -> list[schemas.UnitService]:
    if program.service is None:
        return []
    fields = list(schemas.UnitService.model_fields)
    return [
        schemas.UnitService.model_validate({k: _finite(row[k]) for k in fields})
        for row in program.service[fields].to_dict("records")
    ]


def _units(program: AgencyProgram) -> list[schemas.UnitTotals]:
    import pandas as pd

    people, items = program.plan.people, program.plan.items
    unit_of = people["unit"].astype(str)
    grouped = items.groupby(items["unit"].astype(str))
    table = pd.DataFrame(
        {
            "staff": unit_of.value_counts(),
            "below_minimum": unit_of[
                people["shortfall"].to_numpy(dtype=float) > 1e-9
            ].value_counts(),
            "participants": grouped["nip"].nunique(),
            "items": grouped.size(),
            "jp": grouped["hours_jp"].sum(),
            "cost_idr": grouped["cost_idr"].sum(),
            "gain": grouped["gain"].sum(),
            "gain_lower": grouped["gain_lower"].sum(),
            "gain_upper": grouped["gain_upper"].sum(),
        }
    ).fillna(0)
    counts = ["staff", "below_minimum", "participants", "items"]
    table[counts] = table[counts].astype(int)
    table = table.rename_axis("unit").sort_index().reset_index()
    return [schemas.UnitTotals.model_validate(row) for row in table.to_dict("records")]


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: null (e.g. no budget price when the budget is spare)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value if math.isfinite(value) else None


def _document_nips(document: PlanDocument, kind: str) -> list[str]:
    """The NIPs the document lists: the items' (the CSV is the item table), and in the
    workbook also everyone still below 20 JP (its compliance sheet)."""
    plan = document.plan
    nips = plan.items["nip"].astype(str).tolist()
    if kind == "xlsx":
        short = plan.people["shortfall"].to_numpy(dtype=float) > 0
        nips += plan.people.loc[short, "nip"].astype(str).tolist()
    return list(dict.fromkeys(nips))


# ----------------------------------------------------------------------------- the routes


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's planning jobs, for as long as it serves."""
    app.state.plan_jobs = PlanJobs()
    yield
    app.state.plan_jobs.close()


def plan_jobs(request: Request) -> PlanJobs:
    jobs: PlanJobs | None = getattr(request.app.state, "plan_jobs", None)
    if jobs is None:  # an app run without its lifespan
        raise HTTPException(http.HTTP_503_SERVICE_UNAVAILABLE, detail="planning is not running")
    return jobs


JobsDep = Annotated[PlanJobs, Depends(plan_jobs)]

router = APIRouter(prefix="/v1/plans", tags=["plans"], responses=ERRORS, lifespan=lifespan)

#: The document of a job that is not done.
NOT_DONE: dict[int | str, dict[str, Any]] = {
    409: {"model": responses.Error, "description": "the job is not done: poll it first"}
}


def _unknown(job_id: str) -> HTTPException:
    return HTTPException(
        http.HTTP_404_NOT_FOUND,
        detail=f"unknown planning job {job_id} (only the last {MAX_JOBS} are kept, in memory "
        "until the server restarts)",
    )


def _invalid(exc: PlanInputError) -> RequestValidationError:
    """The 422 of bad planning input, naming the field as the other 422s do."""
    message = str(exc).removeprefix(f"{exc.field}: ")
    return RequestValidationError(
        [{"loc": ("body", exc.field), "msg": message, "type": "value_error"}]
    )


@router.post("", status_code=http.HTTP_202_ACCEPTED, response_model=schemas.PlanAccepted)
async def start(
    body: schemas.PlanRequest,
    caller: BatchCaller,
    current: ServedDep,
    jobs: JobsDep,
    audit: AuditDep,
) -> schemas.PlanAccepted:
    """Start planning the agency's yearly program within the budget and limits (HR): a job
    that takes seconds to minutes. Poll ``poll`` until its status is done or failed. Bad
    input (an unknown agency or unit, a training not in the catalog) is a 422 naming the
    field, before any work."""
    await run_in_threadpool(_check, body, current)
    job = jobs.submit(body, current)
    if job is None:
        raise too_many_requests(
            RETRY_SECONDS, f"planning jobs (at most {jobs.max_pending} at once)"
        )
    _record(audit, caller, job, "plan")
    return schemas.PlanAccepted(
        job_id=job.job_id, status=job.status, poll=POLL.format(job_id=job.job_id)
    )


@router.get("/{job_id}", response_model=schemas.PlanJob)
async def poll(
    job_id: JobId, caller: BatchCaller, jobs: JobsDep, audit: AuditDep
) -> schemas.PlanJob:
    """A planning job's status and stage and, once done, the plan: its summary, the budget
    curve, totals per unit kerja and the staff still below 20 JP by reason (no row per
    person: the document has those)."""
    job = jobs.get(job_id)
    if job is None:
        raise _unknown(job_id)
    _record(audit, caller, job, "plan-status")
    return job.answer()


@router.get(
    "/{job_id}/document",
    response_class=FileResponse,
    responses={
        200: {
            "content": {media: {} for media in MEDIA.values()},
            "description": "The plan document: the workbook (xlsx) or its item table (csv).",
        },
        **NOT_DONE,
    },
)
async def document(
    job_id: JobId,
    caller: BatchCaller,
    jobs: JobsDep,
    audit: AuditDep,
    format: Annotated[
        Literal["xlsx", "csv"], Query(description="xlsx (every sheet) or csv (the items)")
    ] = "xlsx",
) -> FileResponse:
    """The plan document of a finished job, in the language it was asked in: the Pasal
    207(3) workbook, or its item table as CSV. It lists NIPs: each is audited."""
    job = jobs.get(job_id)
    if job is None:
        raise _unknown(job_id)
    if job.document is None:
        raise HTTPException(
            http.HTTP_409_CONFLICT,
            detail=f"planning job {job_id} is {job.status}"
            + (f" ({job.error})" if job.error else "; poll it until it is done"),
        )
    document = job.document
    name = f"rencana-{document.agency or 'semua'}-{document.year}.{format}"
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    folder = Path(tempfile.mkdtemp(prefix="plan-"))

    def write_and_audit() -> Path:  # thousands of lines: off the event loop
        from recsys.planning.plan_document import write_plan

        path = write_plan(document, folder / name, job.request.lang)
        for nip in _document_nips(document, format):
            audit.record(
                caller=caller.name,
                role=caller.role,
                nip=nip,
                action=f"plan-document:{job_id}.{format}",
                model=job.model_version,
            )
        return path

    try:
        path = await run_in_threadpool(write_and_audit)
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        path, media_type=MEDIA[format], filename=name, background=BackgroundTask(_remove, folder)
    )


def _record(audit: AuditLog, caller: Caller, job: PlanJob, action: str) -> None:
    """A request about a job (no personal data in the answer: no NIP)."""
    audit.record(
        caller=caller.name,
        role=caller.role,
        nip="",
        action=f"{action}:{job.job_id}",
        model=job.model_version,
    )


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
