"""All models, so that `Base.metadata` is complete wherever it is imported."""
from .areas import (ACTIVE_AREA_STATUSES, AreaImport, AreaStatus, GrowingArea, GrowingAreaVersion,
                    ImportStatus, ProvinceBoundary)
from .audit import AuditEntry
from .base import Base
from .batches import Batch, BatchStatus, LotOrigin, batch_areas
from .capacity import CropYield
from .custody import (ExternalParty, Handover, HandoverStatus, Holding, MovementKind,
                      StockMovement)
from .logistic_units import LogisticUnit, SsccCounter, UnitKind
from .notices import Notice, OutboxMessage, OutboxStatus
from .recalls import HolderStatus, Recall, RecallAction, RecallHolder
from .transformations import Transformation, TransformationInput, TransformationKind
from .area_codes import CodeKind, CodeSequence, CodeTemplate
from .diary import DIARY_STEPS, BizStep, Disposition, EventType, TraceEvent
from .facilities import Facility, FacilityKind, FacilityStatus
from .organizations import OrgKind, Organization, OrgStatus
from .products import CertScheme, Certification, Product
from .scans import Report, ReportStatus, Scan, Verdict
from .stamps import OrderStatus, RunStatus, Stamp, StampOrder, StampRun
from .users import ApiToken, Role, TokenScope, User

__all__ = [
    "ACTIVE_AREA_STATUSES", "ApiToken", "AreaImport", "AreaStatus", "AuditEntry", "Base", "Batch", "BatchStatus",
    "BizStep", "CertScheme", "Certification", "CodeKind", "CodeSequence", "CodeTemplate",
    "DIARY_STEPS", "Disposition", "EventType", "Facility", "FacilityKind", "FacilityStatus", "GrowingArea",
    "GrowingAreaVersion", "ImportStatus", "OrderStatus", "OrgKind", "OrgStatus", "Organization", "Product", "Report",
    "ProvinceBoundary", "ReportStatus", "Role", "RunStatus", "Scan", "Stamp", "StampOrder", "StampRun", "TokenScope", "TraceEvent",
    "User",
    "Verdict", "batch_areas",
    "CropYield", "ExternalParty", "Handover", "HandoverStatus", "Holding", "HolderStatus",
    "LogisticUnit", "LotOrigin", "MovementKind", "Notice", "OutboxMessage", "OutboxStatus",
    "Recall", "RecallAction", "RecallHolder", "SsccCounter", "StockMovement", "Transformation",
    "TransformationInput", "TransformationKind", "UnitKind",
]
