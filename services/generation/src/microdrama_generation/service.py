from microdrama.events.catalog import EPISODE_SCRIPTED
from microdrama.runtime.service import Service, Subscription
from microdrama_generation.handlers import generate_shots

SERVICE = Service("generation", (Subscription(EPISODE_SCRIPTED, generate_shots, ack_wait_s=120.0),))
