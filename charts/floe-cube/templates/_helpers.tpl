{{/* Names: <release>-<component>, DNS-1123 labels of at most 63 characters. */}}
{{- define "floe-cube.name" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- printf "%s-%s" ($root.Release.Name | trunc (int (sub 62 (len $component))) | trimSuffix "-") $component | trimSuffix "-" -}}
{{- end -}}

{{- define "floe-cube.pipelineName" -}}
{{- default .Release.Name .Values.global.floe.pipelineName -}}
{{- end -}}

{{- define "floe-cube.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "floe-cube.name" (list . "cube")) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "floe-cube.selectorLabels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: floe-cube
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{- define "floe-cube.labels" -}}
{{- $root := index . 0 -}}
{{ include "floe-cube.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: floe
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
floe.dev/pipeline: {{ include "floe-cube.pipelineName" $root | replace "_" "-" | trunc 63 | trimSuffix "-" | quote }}
{{- end -}}

{{/* What was deployed (audits): every key of global.floe.fingerprint, as floe.dev/<key>. */}}
{{- define "floe-cube.fingerprintAnnotations" -}}
floe.dev/deployed-by: floe-ci
{{- range $key, $value := .Values.global.floe.fingerprint }}
{{- if $value }}
floe.dev/{{ $key | kebabcase }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "floe-cube.podSpecCommon" -}}
serviceAccountName: {{ include "floe-cube.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.global.floe.podSecurityContext | nindent 2 }}
{{- with .Values.global.floe.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Cube's environment, shared by the API and the refresh worker: the driver, the
     warehouse (plain settings, then credentials by secretKeyRef) and the API secret. */}}
{{- define "floe-cube.cubeEnv" -}}
- name: CUBEJS_DB_TYPE
  value: {{ .Values.dbType | quote }}
{{- range .Values.dbEnv }}
- name: {{ .name }}
  value: {{ .value | toString | quote }}
{{- end }}
{{- range .Values.dbSecretEnv }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
- name: CUBEJS_API_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.apiSecret.secretName }}
      key: {{ .Values.apiSecret.key }}
- name: CUBEJS_TELEMETRY
  value: "false"
- name: NODE_ENV
  value: production
{{- if .Values.store.enabled }}
- name: CUBEJS_CUBESTORE_HOST
  value: {{ include "floe-cube.name" (list . "cubestore-router") }}
- name: CUBEJS_CUBESTORE_PORT
  value: "3030"
{{- else }}
- name: CUBEJS_CACHE_AND_QUEUE_DRIVER
  value: memory
{{- end }}
{{- end -}}

{{- define "floe-cube.cubeVolumes" -}}
- name: cube-config
  configMap:
    name: {{ include "floe-cube.name" (list . "cube-config") }}
- name: cube-model
  configMap:
    name: {{ include "floe-cube.name" (list . "cube-model") }}
{{- end -}}

{{- define "floe-cube.cubeVolumeMounts" -}}
- name: cube-config
  mountPath: /cube/conf/cube.js
  subPath: cube.js
  readOnly: true
- name: cube-model
  mountPath: /cube/conf/model
  readOnly: true
{{- end -}}

{{- define "floe-cube.configChecksum" -}}
{{- list .Values.config .Values.models .Values.dbEnv .Values.dbSecretEnv | toJson | sha256sum -}}
{{- end -}}
