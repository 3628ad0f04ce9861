from microdrama.events.catalog import SERIES_SUBMITTED, SHOT_GENERATED
from microdrama.runtime.service import Service, Subscription
from microdrama_character.handlers import check_shot, lock_characters

SERVICE = Service(
    "character",
    (
        Subscription(SERIES_SUBMITTED, lock_characters),
        # A shot can arrive before its characters are locked: it waits (NotReady) for them.
        Subscription(SHOT_GENERATED, check_shot, max_deliver=120),
    ),
)
