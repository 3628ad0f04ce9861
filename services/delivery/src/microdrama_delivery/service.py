from microdrama.events.catalog import EPISODE_APPROVED, EPISODE_QC_PASSED
from microdrama.runtime.service import Service, Subscription
from microdrama_delivery.handlers import deliver_episode

# A passed QC and a person's approval of a failed one both deliver, the same way.
SERVICE = Service(
    "delivery",
    (
        Subscription(EPISODE_QC_PASSED, deliver_episode, ack_wait_s=120.0),
        Subscription(EPISODE_APPROVED, deliver_episode, ack_wait_s=120.0),
    ),
)
