"""City events: Open311 GeoReport v2 requests, the handling workflow, SLAs and statistics.

Public API (others call these):

- :func:`create_event`, :func:`transition_event`, :func:`get_event`, :func:`list_events`
- :func:`open_event_from_alert` (sensor alerts → events with source ``sensor``)
- :func:`event_statistics`, :func:`event_indicators`, :func:`store_event_indicators`
- :func:`load_la311` (replay of real LA 311 requests)
"""

from zhicheng.events.catalogue import Catalogue, Service, load_catalogue
from zhicheng.events.errors import EventError, EventNotFound, TransitionError
from zhicheng.events.replay import ReplayResult, load_la311
from zhicheng.events.service import (
    EventFilter,
    NewEvent,
    create_event,
    get_event,
    list_events,
    open_event_from_alert,
    transition_event,
)
from zhicheng.events.stats import event_indicators, event_statistics, store_event_indicators

__all__ = [
    "Catalogue",
    "EventError",
    "EventFilter",
    "EventNotFound",
    "NewEvent",
    "ReplayResult",
    "Service",
    "TransitionError",
    "create_event",
    "event_indicators",
    "event_statistics",
    "get_event",
    "list_events",
    "load_catalogue",
    "load_la311",
    "open_event_from_alert",
    "store_event_indicators",
    "transition_event",
]
