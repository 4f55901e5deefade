{{/* Names: <release>-<component>, DNS-1123 labels of at most 63 characters. */}}
{{- define "floe-dagster.name" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
{{- printf "%s-%s" ($root.Release.Name | trunc (int (sub 62 (len $component))) | trimSuffix "-") $component | trimSuffix "-" -}}
{{- end -}}

{{- define "floe-dagster.pipelineName" -}}
{{- default .Release.Name .Values.global.floe.pipelineName -}}
{{- end -}}

{{- define "floe-dagster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "floe-dagster.name" (list . "dagster")) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "floe-dagster.selectorLabels" -}}
{{- $root := index . 0 -}}{{- $component := index . 1 -}}
app.kubernetes.io/name: floe-dagster
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ $component }}
{{- end -}}

{{- define "floe-dagster.labels" -}}
{{- $root := index . 0 -}}
{{ include "floe-dagster.selectorLabels" . }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/part-of: floe
helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
floe.dev/pipeline: {{ include "floe-dagster.pipelineName" $root | replace "_" "-" | trunc 63 | trimSuffix "-" | quote }}
{{- end -}}

{{/* What was deployed (audits): every key of global.floe.fingerprint, as floe.dev/<key>. */}}
{{- define "floe-dagster.fingerprintAnnotations" -}}
floe.dev/deployed-by: floe-ci
{{- range $key, $value := .Values.global.floe.fingerprint }}
{{- if $value }}
floe.dev/{{ $key | kebabcase }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "floe-dagster.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "floe-dagster.podSpecCommon" -}}
serviceAccountName: {{ include "floe-dagster.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.global.floe.podSecurityContext | nindent 2 }}
{{- with .Values.global.floe.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* The instance's PostgreSQL: plain settings, then the user and password by secretKeyRef. */}}
{{- define "floe-dagster.instanceEnv" -}}
{{- $pg := .Values.instance.postgres -}}
- name: DAGSTER_HOME
  value: /opt/dagster/home
- name: DAGSTER_PG_HOST
  value: {{ $pg.host | quote }}
- name: DAGSTER_PG_PORT
  value: {{ $pg.port | quote }}
- name: DAGSTER_PG_DB
  value: {{ $pg.database | quote }}
- name: DAGSTER_PG_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $pg.secretName }}
      key: {{ $pg.userKey }}
- name: DAGSTER_PG_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $pg.secretName }}
      key: {{ $pg.passwordKey }}
- name: DO_NOT_TRACK
  value: "1"
{{- end -}}

{{- define "floe-dagster.instanceVolume" -}}
- name: instance
  configMap:
    name: {{ include "floe-dagster.name" (list . "dagster-instance") }}
{{- end -}}

{{- define "floe-dagster.instanceMount" -}}
- name: instance
  mountPath: /opt/dagster/home
  readOnly: true
{{- end -}}

{{- define "floe-dagster.checksum" -}}
{{- list .Values.artifacts .Values.instance .Values.userCode.port | toJson | sha256sum -}}
{{- end -}}
