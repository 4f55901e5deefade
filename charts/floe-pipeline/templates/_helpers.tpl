{{/* Release-scoped names (DNS-1123 labels of at most 63 characters). */}}
{{- define "floe.fullname" -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "floe.componentName" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- printf "%s-%s" (include "floe.fullname" $root | trunc (int (sub 62 (len $component)))) $component | trimSuffix "-" -}}
{{- end -}}

{{- define "floe.pipelineName" -}}
{{- default .Release.Name .Values.pipeline.name -}}
{{- end -}}

{{- define "floe.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "floe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "floe.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels; call with (list $ "component"). */}}
{{- define "floe.selectorLabels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{- define "floe.labels" -}}
{{- $root := index . 0 -}}
{{ include "floe.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: floe
helm.sh/chart: {{ include "floe.chart" $root }}
floe.dev/pipeline: {{ include "floe.pipelineName" $root | replace "_" "-" | trunc 63 | trimSuffix "-" | quote }}
{{- end -}}

{{/* What was deployed: floe.yaml's hash and the dbt manifest's checksum (for audits). */}}
{{- define "floe.fingerprintAnnotations" -}}
floe.dev/deployed-by: floe-ci
{{- with .Values.fingerprint }}
{{- if .sourceHash }}
floe.dev/source-hash: {{ .sourceHash | quote }}
{{- end }}
{{- if .manifestChecksum }}
floe.dev/manifest-checksum: {{ .manifestChecksum | quote }}
{{- end }}
{{- if .floeVersion }}
floe.dev/floe-version: {{ .floeVersion | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "floe.pipelineImage" -}}
{{- printf "%s:%s" .Values.pipeline.image.repository (default .Chart.AppVersion .Values.pipeline.image.tag) -}}
{{- end -}}

{{/* Environment variables from Secrets, by name only: [{name, secretName, key}]. */}}
{{- define "floe.secretEnv" -}}
{{- range . }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .key }}
{{- end }}
{{- end -}}

{{- define "floe.plainEnv" -}}
{{- range . }}
- name: {{ .name }}
  value: {{ .value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "floe.podSpecCommon" -}}
serviceAccountName: {{ include "floe.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Cube's environment, shared by the API and the refresh worker. */}}
{{- define "floe.cubeEnv" -}}
- name: CUBEJS_DB_TYPE
  value: {{ .Values.cube.dbType | quote }}
- name: CUBEJS_API_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.cube.apiSecret.secretName }}
      key: {{ .Values.cube.apiSecret.key }}
- name: CUBEJS_TELEMETRY
  value: "false"
- name: NODE_ENV
  value: production
{{- if .Values.cube.store.enabled }}
- name: CUBEJS_CUBESTORE_HOST
  value: {{ include "floe.componentName" (list . "cubestore-router") }}
- name: CUBEJS_CUBESTORE_PORT
  value: "3030"
{{- else }}
- name: CUBEJS_CACHE_AND_QUEUE_DRIVER
  value: memory
{{- end }}
{{- include "floe.plainEnv" .Values.cube.dbEnv }}
{{- include "floe.secretEnv" .Values.cube.dbSecretEnv }}
{{- end -}}

{{- define "floe.cubeVolumes" -}}
- name: cube-config
  configMap:
    name: {{ include "floe.componentName" (list . "cube-config") }}
- name: cube-model
  configMap:
    name: {{ include "floe.componentName" (list . "cube-model") }}
{{- end -}}

{{- define "floe.cubeVolumeMounts" -}}
- name: cube-config
  mountPath: /cube/conf/cube.js
  subPath: cube.js
  readOnly: true
- name: cube-model
  mountPath: /cube/conf/model
  readOnly: true
{{- end -}}

{{- define "floe.configChecksum" -}}
{{- list .Values.artifacts .Values.cube.config .Values.cube.models | toJson | sha256sum -}}
{{- end -}}
