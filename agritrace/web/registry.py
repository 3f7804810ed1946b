"""Public lists for anyone: the code registry (`/registry`) and the directory of
producers and products (`/directory`), each as a page and as CSV and XLSX downloads
with the page's filters."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, send_file, stream_with_context
from marshmallow import ValidationError, fields, validate

from .. import units
from ..clock import now, today
from ..models import CertScheme
from ..schemas.common import ProvinceCode, Text
from ..schemas.forms import FormSchema
from ..schemas.messages import localize
from ..services import code_registry, directory, downloads

bp = Blueprint("registry", __name__)

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RegistryQuery(FormSchema):
    province_code = ProvinceCode(load_default=None)
    kind = fields.String(load_default=None, validate=validate.OneOf(code_registry.KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(
        code_registry.AREA_STATUSES + code_registry.FACILITY_STATUSES))
    crop = Text(load_default=None, max_length=100)
    q = Text(load_default=None, max_length=100)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))


class DirectoryQuery(FormSchema):
    province_code = ProvinceCode(load_default=None)
    q = Text(load_default=None, max_length=100)
    crop = Text(load_default=None, max_length=100)
    ward_code = fields.Integer(load_default=None, validate=validate.Range(1, 99_999_999))
    certification = fields.Enum(CertScheme, by_value=True, load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))


def _query(schema: FormSchema) -> tuple[dict, dict]:
    """The filters of the address (empty boxes ignored), or the errors naming them."""
    args = {k: v for k, v in request.args.to_dict().items() if v.strip()}
    try:
        return schema.load(args), {}
    except ValidationError as exc:
        return schema.load({}), localize(exc.messages)


def _args(data: dict) -> dict:
    """The filters as address arguments, for the pager and the download links."""
    return {k: getattr(v, "value", v) for k, v in data.items()
            if v is not None and k != "page"}


def _filters(data: dict) -> code_registry.Filters:
    return code_registry.Filters(**{k: v for k, v in data.items() if k != "page"})


def _search(data: dict) -> directory.Search:
    return directory.Search(**{k: v for k, v in data.items() if k != "page"})


def _csv(name: str, chunks) -> Response:
    response = Response(stream_with_context(chunks), mimetype=CSV)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="{name}-{now():%Y%m%d-%H%M}.csv"'
    return response


def _download(name: str, fmt: str, header, rows) -> Response:
    if fmt == "csv":
        return _csv(name, downloads.csv_chunks(header, rows))
    return send_file(downloads.xlsx_file(name, header, rows), mimetype=XLSX,
                     as_attachment=True, download_name=f"{name}-{now():%Y%m%d-%H%M}.xlsx")


@bp.get("/registry")
def index():
    """The code registry (danh sách mã số), a page at a time."""
    data, errors = _query(RegistryQuery())
    rows, total = code_registry.page(_filters(data), data["page"])
    rows = [dict(zip(code_registry.COLUMNS, row)) for row in rows]
    return render_template("registry/index.html", rows=rows, total=total, query=data,
                           args=_args(data), errors=errors, columns=code_registry.COLUMNS,
                           page_size=code_registry.PAGE_SIZE, crops=code_registry.crops(),
                           provinces=units.provinces()), 400 if errors else 200


@bp.get("/registry.<any(csv, xlsx):fmt>")
def download(fmt: str):
    data, errors = _query(RegistryQuery())
    if errors:
        return render_template("registry/index.html", rows=[], total=0, query=data,
                               args={}, errors=errors, columns=code_registry.COLUMNS,
                               page_size=code_registry.PAGE_SIZE, crops=[],
                               provinces=units.provinces()), 400
    if fmt == "csv":
        return _csv("code-registry", code_registry.csv_chunks(_filters(data)))
    return _download("code-registry", fmt, code_registry.COLUMNS,
                     code_registry.rows(_filters(data)))


@bp.get("/directory")
def directory_index():
    """The directory of producers and their products (danh bạ)."""
    data, errors = _query(DirectoryQuery())
    entries, total = directory.find(_search(data), data["page"])
    return render_template("registry/directory.html", entries=entries, total=total,
                           query=data, args=_args(data), errors=errors, today=today(),
                           page_size=directory.PAGE_SIZE, crops=directory.crop_choices(),
                           wards=directory.ward_choices(data["province_code"]),
                           schemes=list(CertScheme), provinces=units.provinces()), \
        400 if errors else 200


@bp.get("/directory.<any(csv, xlsx):fmt>")
def directory_download(fmt: str):
    data, errors = _query(DirectoryQuery())
    if errors:
        return directory_index()
    return _download("directory", fmt, directory.COLUMNS,
                     directory.rows(_search(data), today()))
