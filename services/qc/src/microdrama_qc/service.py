from microdrama.events.catalog import EPISODE_MIXED
from microdrama.runtime.service import Service, Subscription
from microdrama_qc.handlers import check_episode

SERVICE = Service("qc", (Subscription(EPISODE_MIXED, check_episode, ack_wait_s=120.0),))
