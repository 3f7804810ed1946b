"""All models, so that `Base.metadata` is complete wherever it is imported."""
from .areas import (ACTIVE_AREA_STATUSES, AreaImport, AreaStatus, GrowingArea, GrowingAreaVersion,
                    ImportStatus, ProvinceBoundary)
from .audit import AuditEntry
from .base import Base
from .batches import Batch, BatchStatus, LotOrigin, batch_areas
from .capacity import CropYield
from .custody import (ExternalParty, Handover, HandoverStatus, Holding, MovementKind,
                      StockMovement)
from .map_versions import MapVersion  # noqa: F401
from .logistic_units import LogisticUnit, SsccCounter, UnitKind
from .markets import (CodeMarket, CodeScope, Finding, Inspection, InspectionPhoto,  # noqa: F401
                      InspectionPlan, MarketState, Outcome)
from .notices import Notice, OutboxMessage, OutboxStatus
from .recalls import HolderStatus, Recall, RecallAction, RecallHolder
from .transformations import Transformation, TransformationInput, TransformationKind
from .area_codes import CodeKind, CodeSequence, CodeTemplate
from .epcis_events import (CaptureBehaviour, EpcField, EpcisCapture, EpcisEvent, EpcisEventEpc,
                           EpcisEventLot, EpcisQuery)
from .epcis_subscriptions import (DeliveryStatus, EpcisDelivery,  # noqa: F401
                                  EpcisSubscription, EpcisSubscriptionEvent)
from .devices import EntryKind, FieldDevice, FieldEntry, FieldPhoto
from .diary import DIARY_STEPS, BizStep, Disposition, EventType, TraceEvent
from .facilities import Facility, FacilityKind, FacilityStatus
from .organizations import OrgKind, Organization, OrgStatus
from .products import CertScheme, Certification, Product
from .residues import ResidueLimit, ResidueResult, ResidueRule, ResidueTest  # noqa: F401
from .due_diligence import DueDiligence, ForestMap  # noqa: F401
from .previews import StampPreview  # noqa: F401
from .stored_files import StoredFile, StoredFileChunk  # noqa: F401
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
    "EntryKind", "FieldDevice", "FieldEntry", "FieldPhoto",
    "CaptureBehaviour", "EpcField", "EpcisCapture", "EpcisEvent", "EpcisEventEpc", "EpcisEventLot", "EpcisQuery",
]
