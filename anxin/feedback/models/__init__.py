"""The feedback loop's records: rating invitations and ratings, follow-ups, complaints with
their stored transitions and labels, engineering cases, social-media posts."""

from .complaints import ClassificationLabel, Complaint, ComplaintTransition, EngineeringCase
from .ratings import FollowUp, Rating, RatingInvitation
from .social import SocialImport, SocialPost

__all__ = [
    "ClassificationLabel",
    "Complaint",
    "ComplaintTransition",
    "EngineeringCase",
    "FollowUp",
    "Rating",
    "RatingInvitation",
    "SocialImport",
    "SocialPost",
]
