from microdrama.events.catalog import EPISODE_SUBMITTED
from microdrama.runtime.service import Service, Subscription
from microdrama_script.handlers import script_episode

SERVICE = Service("script", (Subscription(EPISODE_SUBMITTED, script_episode),))
