"""Recalls (thu hồi), holders' confirmations and the inbox at the API and form
boundary."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from ..models import HolderStatus, RecallAction
from .common import Id, PageQuery, StrictSchema, Text

HANDLED = validate.Range(min=0, min_inclusive=False, max=1e10,
                         error=_l("The quantity must be above 0."))


class LotRecallIn(StrictSchema):
    batch_id = Id(required=True)
    reason = Text(required=True, min_length=3, max_length=1000,
                  metadata={"description": "Shown to consumers who scan a stamp of any "
                                           "affected lot."})


class RecallOut(StrictSchema):
    id = fields.Integer()
    batch_id = fields.Integer()
    reason = fields.String()
    initiated_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class ConfirmationIn(StrictSchema):
    action = fields.Enum(RecallAction, by_value=True, required=True,
                         metadata={"description": "What the holder did with its stock."})
    quantity = fields.Float(required=True, validate=HANDLED,
                              metadata={"description": "How much, in the lot's unit; at most "
                                                       "what was held when notified."})
    note = Text(max_length=1000, load_default=None, allow_none=True)


class RecallHolderOut(StrictSchema):
    """One holder's stock of one affected lot (a RecallHolder, or a line of a progress)."""
    id = fields.Function(lambda x: _holder(x).id)
    recall_id = fields.Function(lambda x: _holder(x).recall_id)
    organization_id = fields.Function(lambda x: _holder(x).organization_id)
    organization_name = fields.Function(lambda x: _holder(x).organization.name)
    batch_id = fields.Function(lambda x: _holder(x).batch_id)
    quantity_held = fields.Function(lambda x: float(_holder(x).quantity_held))
    unit = fields.Function(lambda x: _holder(x).unit)
    status = fields.Function(lambda x: _holder(x).status.value,
                             metadata={"enum": [s.value for s in HolderStatus]})
    action = fields.Function(lambda x: _holder(x).action and _holder(x).action.value)
    quantity_handled = fields.Function(lambda x: _float(_holder(x).quantity_handled))
    note = fields.Function(lambda x: _holder(x).note)
    confirmed_at = fields.Function(lambda x: _holder(x).confirmed_at and
                                   _holder(x).confirmed_at.isoformat())


class ProgressLineOut(RecallHolderOut):
    lot_code = fields.Function(lambda line: line.lot.lot_code)
    unaccounted = fields.Function(lambda line: float(line.unaccounted))


class RecallProgressOut(StrictSchema):
    id = fields.Function(lambda p: p.recall.id)
    batch_id = fields.Function(lambda p: p.lot.id)
    lot_code = fields.Function(lambda p: p.lot.lot_code)
    organization_name = fields.Function(lambda p: p.lot.organization.name)
    reason = fields.Function(lambda p: p.recall.reason)
    created_at = fields.Function(lambda p: p.recall.created_at.isoformat())
    lots_recalled = fields.Integer()
    notified = fields.Integer()
    confirmed = fields.Integer()
    percent = fields.Integer(metadata={"description": "Holder rows confirmed, in %."})
    unaccounted = fields.Function(lambda p: {u: float(q) for u, q in p.unaccounted.items()},
                                  metadata={"description": "Stock not yet accounted for, "
                                                           "by unit."})
    holders = fields.List(fields.Nested(ProgressLineOut))


class NoticeOut(StrictSchema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    recall_id = fields.Integer(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NoticeQuery(PageQuery):
    pass


def _holder(x):
    return getattr(x, "holder", x)


def _float(value):
    return None if value is None else float(value)
