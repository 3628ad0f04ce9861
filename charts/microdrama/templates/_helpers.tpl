{{/* Names, labels and the process contract every service follows (docs/deploy.md). */}}

{{- define "microdrama.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A subchart's fullname, computed the way the official charts compute it. Args: root, chart name. */}}
{{- define "microdrama.subchartFullname" -}}
{{- $root := index . 0 -}}
{{- $chart := index . 1 -}}
{{- $values := index $root.Values $chart -}}
{{- if $values.fullnameOverride -}}
{{- $values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains $chart $root.Release.Name -}}
{{- $root.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" $root.Release.Name $chart | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "microdrama.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Args: dict root, component. */}}
{{- define "microdrama.labels" -}}
{{ include "microdrama.selectorLabels" . }}
app.kubernetes.io/part-of: microdrama
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Pods of this release that the chart itself runs (services and Ray): the default-deny scope. */}}
{{- define "microdrama.releasePodSelector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Image reference. Args: dict root, image ({repository, tag, digest}), what (a name for messages).
The tag defaults to .Values.image.tag, then the chart appVersion; `latest` is refused.
*/}}
{{- define "microdrama.image" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion | toString -}}
{{- if eq $tag "latest" -}}
{{- $where := ternary (printf "%s.tag" .what) "image.tag" (not (empty .image.tag)) -}}
{{- fail (printf "%s: image tag \"latest\" is not allowed; pin a version (or leave it empty for the chart appVersion %s)" $where .root.Chart.AppVersion) -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s:%s@%s" .image.repository $tag .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
The JetStream durable consumers each service runs (process contract). KEDA scales a worker
on the pending messages of these consumers; studio is the gateway and is not scaled on them.
*/}}
{{- define "microdrama.consumers" -}}
studio:
  - {stream: MD_EPISODE, consumer: studio-episode-all}
  - {stream: MD_SHOT, consumer: studio-shot-all}
script:
  - {stream: MD_EPISODE, consumer: script-episode-submitted}
character:
  - {stream: MD_SERIES, consumer: character-series-submitted}
  - {stream: MD_SHOT, consumer: character-shot-generated}
generation:
  - {stream: MD_EPISODE, consumer: generation-episode-scripted}
finishing:
  - {stream: MD_EPISODE, consumer: finishing-episode-shots_ready}
audio:
  - {stream: MD_EPISODE, consumer: audio-episode-scripted}
  - {stream: MD_EPISODE, consumer: audio-episode-finished}
qc:
  - {stream: MD_EPISODE, consumer: qc-episode-mixed}
delivery:
  - {stream: MD_EPISODE, consumer: delivery-episode-qc_passed}
  - {stream: MD_EPISODE, consumer: delivery-episode-approved}
{{- end -}}

{{- define "microdrama.grpcPort" -}}50051{{- end -}}
{{- define "microdrama.metricsPort" -}}9464{{- end -}}
{{/* Plaintext gRPC health only (MD_HEALTH_LISTEN): kubelet probes cannot present client certificates. */}}
{{- define "microdrama.healthPort" -}}8086{{- end -}}

{{- define "microdrama.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{- printf "nats://%s:4222" (include "microdrama.subchartFullname" (list . "nats")) -}}
{{- else -}}
{{- .Values.externalNats.url -}}
{{- end -}}
{{- end -}}

{{/* Stream replicas: the bundled NATS cluster's size, or externalNats.streamReplicas. */}}
{{- define "microdrama.streamReplicas" -}}
{{- if .Values.nats.enabled -}}
{{- $cluster := .Values.nats.config.cluster -}}
{{- ternary $cluster.replicas 1 (and $cluster.enabled (gt (int $cluster.replicas) 1)) -}}
{{- else -}}
{{- .Values.externalNats.streamReplicas -}}
{{- end -}}
{{- end -}}

{{/* KEDA asks the NATS monitoring endpoint; a clustered NATS needs the headless service (KEDA queries <server>.<endpoint>). */}}
{{- define "microdrama.natsMonitoringEndpoint" -}}
{{- if .Values.nats.enabled -}}
{{- printf "%s-headless.%s.svc.%s:8222" (include "microdrama.subchartFullname" (list . "nats")) .Release.Namespace .Values.clusterDomain -}}
{{- else -}}
{{- .Values.externalNats.monitoringEndpoint -}}
{{- end -}}
{{- end -}}

{{- define "microdrama.s3Endpoint" -}}
{{- if .Values.minio.enabled -}}
{{- printf "%s:9000" (include "microdrama.subchartFullname" (list . "minio")) -}}
{{- else -}}
{{- .Values.s3.endpoint -}}
{{- end -}}
{{- end -}}

{{/* The bundled MinIO serves plain HTTP inside the cluster; an external S3 follows s3.secure. */}}
{{- define "microdrama.s3Secure" -}}
{{- if .Values.minio.enabled -}}false{{- else -}}{{ .Values.s3.secure }}{{- end -}}
{{- end -}}

{{/* Port of a host:port or scheme://host:port endpoint, else the given default. Args: list endpoint default. */}}
{{- define "microdrama.endpointPort" -}}
{{- $endpoint := index . 0 | toString -}}
{{- $port := regexFind ":[0-9]+$" (trimSuffix "/" $endpoint) | trimPrefix ":" -}}
{{- $port | default (index . 1) -}}
{{- end -}}

{{- define "microdrama.rayClusterName" -}}
{{- printf "%s-ray" (include "microdrama.fullname" .) -}}
{{- end -}}

{{- define "microdrama.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "microdrama.fullname" .)) -}}
{{- end -}}

{{- define "microdrama.configMapName" -}}
{{- printf "%s-config" (include "microdrama.fullname" .) -}}
{{- end -}}

{{/* Secret files each workload reads from MD_SECRETS_DIR: only what it needs. Args: component. */}}
{{- define "microdrama.secretKeys" -}}
{{- if eq . "studio" -}}
{{- list "MD_S3_ACCESS_KEY" "MD_S3_SECRET_KEY" "MD_ADMIN_KEY" "MD_BOOTSTRAP_API_KEY" | toJson -}}
{{- else -}}
{{- list "MD_S3_ACCESS_KEY" "MD_S3_SECRET_KEY" | toJson -}}
{{- end -}}
{{- end -}}

{{/* Volumes every pod mounts: /tmp (the only writable path) and its secret files. Args: dict root, component. */}}
{{- define "microdrama.commonVolumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
- name: secrets
  secret:
    secretName: {{ include "microdrama.secretName" .root }}
    defaultMode: 0440
    items:
      {{- range (include "microdrama.secretKeys" .component | fromJsonArray) }}
      - {key: {{ . }}, path: {{ . }}}
      {{- end }}
{{- end -}}

{{- define "microdrama.commonVolumeMounts" -}}
- {name: tmp, mountPath: /tmp}
- {name: secrets, mountPath: {{ .Values.secrets.mountPath }}, readOnly: true}
{{- end -}}

{{/* Restricted Pod Security Standard, pod level. */}}
{{- define "microdrama.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Restricted Pod Security Standard, container level; processes write only to /tmp. */}}
{{- define "microdrama.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Checksums roll the pods when their configuration or secrets change. */}}
{{- define "microdrama.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secrets: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end -}}

{{- define "microdrama.scrapeAnnotations" -}}
{{- if .Values.metrics.podAnnotations.enabled }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ include "microdrama.metricsPort" . | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}
