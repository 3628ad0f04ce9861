from microdrama.events.catalog import EPISODE_QC_PASSED
from microdrama.runtime.service import Service, Subscription
from microdrama_delivery.handlers import deliver_episode

SERVICE = Service("delivery", (Subscription(EPISODE_QC_PASSED, deliver_episode, ack_wait_s=120.0),))
