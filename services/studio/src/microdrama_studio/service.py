from microdrama.runtime.service import Service, Subscription
from microdrama_studio.api import gateway_api
from microdrama_studio.handlers import project_status

SERVICE = Service(
    "studio",
    (
        Subscription("md.episode.v1.>", project_status),
        Subscription("md.shot.v1.>", project_status),
    ),
    stage=False,
    api=gateway_api,
)
