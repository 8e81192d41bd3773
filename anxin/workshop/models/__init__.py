from .appointments import Appointment, AppointmentTransition, OutletAssignment
from .catalog import LabourOperation, Part, Supplier
from .checks import ChecklistTemplate, HVSafetyCheck, Inspection, InspectionPhoto
from .policy import WorkshopPolicy
from .support import ExpertMessage, ExpertPhoto, ExpertRequest, WarrantyWarning
from .workorders import LabourLine, PartLine, WorkOrder, WorkOrderTransition

__all__ = [
    "Appointment",
    "AppointmentTransition",
    "ChecklistTemplate",
    "ExpertMessage",
    "ExpertPhoto",
    "ExpertRequest",
    "HVSafetyCheck",
    "Inspection",
    "InspectionPhoto",
    "LabourLine",
    "LabourOperation",
    "OutletAssignment",
    "Part",
    "PartLine",
    "Supplier",
    "WarrantyWarning",
    "WorkOrder",
    "WorkOrderTransition",
    "WorkshopPolicy",
]
