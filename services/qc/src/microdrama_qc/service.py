from microdrama.events.catalog import EPISODE_MIXED
from microdrama.runtime.service import Service, Subscription
from microdrama_qc.handlers import check_episode

# QC waits (NotReady) for every shot's identity check: up to ~10 minutes of 5 s retries.
SERVICE = Service("qc", (Subscription(EPISODE_MIXED, check_episode, ack_wait_s=120.0, max_deliver=120),))
