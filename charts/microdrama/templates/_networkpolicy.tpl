{{/* Egress rules shared by several NetworkPolicies. */}}
{{- define "microdrama.np.dns" -}}
- to:
    {{- toYaml .Values.networkPolicy.dns | nindent 4 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end }}

{{- define "microdrama.np.s3" -}}
{{- if .root.Values.minio.enabled }}
- to:
    - podSelector: {matchLabels: {app: minio, release: {{ .root.Release.Name }}}}
  ports:
    - {protocol: TCP, port: 9000}
{{- else }}
- to:
    {{- toYaml .root.Values.networkPolicy.externalS3 | nindent 4 }}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end }}
{{- end }}

{{- define "microdrama.np.otel" -}}
{{- if .root.Values.config.otlpEndpoint }}
- to:
    {{- toYaml .root.Values.networkPolicy.otelCollector | nindent 4 }}
  ports:
    - {protocol: TCP, port: {{ .port }}}
{{- end }}
{{- end }}
