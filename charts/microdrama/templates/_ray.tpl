{{/* Container fields shared by the Ray head and workers. Args: dict root, resources, engineCache (optional). */}}
{{- define "microdrama.rayContainerCommon" -}}
envFrom:
  - configMapRef:
      name: {{ include "microdrama.configMapName" .root }}
env:
  - {name: HOME, value: /tmp}
  {{- with .engineCache }}
  - {name: MD_MODELS_DIR, value: {{ .mountPath | quote }}}
  {{- end }}
resources:
  {{- toYaml .resources | nindent 2 }}
lifecycle:
  preStop:
    exec:
      command: ["ray", "stop"]
securityContext:
  {{- include "microdrama.containerSecurityContext" .root | nindent 2 }}
volumeMounts:
  {{- include "microdrama.commonVolumeMounts" .root | nindent 2 }}
  - {name: dshm, mountPath: /dev/shm}
  {{- with .engineCache }}
  - {name: engine-cache, mountPath: {{ .mountPath }}}
  {{- end }}
{{- end -}}

{{/* Args: dict root, engineCache (optional). */}}
{{- define "microdrama.rayVolumes" -}}
{{ include "microdrama.commonVolumes" (dict "root" .root "component" "ray") }}
# Ray's object store lives in shared memory.
- name: dshm
  emptyDir:
    medium: Memory
    sizeLimit: {{ .root.Values.ray.shmSize }}
{{- with .engineCache }}
- name: engine-cache
  {{- if .existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .existingClaim }}
  {{- else }}
  emptyDir:
    sizeLimit: {{ .sizeLimit }}
  {{- end }}
{{- end }}
{{- end -}}
