from microdrama.events.catalog import EPISODE_FINISHED, EPISODE_SCRIPTED
from microdrama.runtime.service import Service, Subscription
from microdrama_audio.handlers import mix_episode_media, prepare_mix

SERVICE = Service(
    "audio",
    (
        Subscription(EPISODE_SCRIPTED, prepare_mix),
        Subscription(EPISODE_FINISHED, mix_episode_media),
    ),
)
