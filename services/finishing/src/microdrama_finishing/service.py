from microdrama.events.catalog import EPISODE_SHOTS_READY
from microdrama.runtime.service import Service, Subscription
from microdrama_finishing.handlers import finish_shots

# Finishing an episode takes minutes: heartbeats keep the message, the ack wait bounds a dead worker.
SERVICE = Service("finishing", (Subscription(EPISODE_SHOTS_READY, finish_shots, ack_wait_s=300.0),))
