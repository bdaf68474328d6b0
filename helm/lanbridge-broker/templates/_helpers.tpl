{{/* Chart name, overridable. */}}
{{- define "lanbridge-broker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name for every resource. */}}
{{- define "lanbridge-broker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "lanbridge-broker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "lanbridge-broker.labels" -}}
helm.sh/chart: {{ include "lanbridge-broker.chart" . }}
{{ include "lanbridge-broker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: broker
app.kubernetes.io/part-of: lanbridge
{{- end }}

{{/* Labels that select the broker pods (immutable on a Deployment: never add to these). */}}
{{- define "lanbridge-broker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lanbridge-broker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "lanbridge-broker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "lanbridge-broker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "lanbridge-broker.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/*
Fails the render when the pod could be killed before its drain finishes: Kubernetes sends
SIGKILL terminationGracePeriodSeconds after it starts the preStop hook, and the broker needs
preStopSleepSeconds + DRAIN_TIMEOUT_MS (+ a few seconds to close) within that.
*/}}
{{- define "lanbridge-broker.checkShutdown" -}}
{{- if and .Values.cluster.enabled (not .Values.redis.existingSecret) }}
{{- fail "cluster.enabled needs redis.existingSecret: the tunnel directory lives in Redis" }}
{{- end }}
{{- $drainSeconds := div (add (int .Values.broker.drainTimeoutMs) 999) 1000 }}
{{- $needed := add (int .Values.shutdown.preStopSleepSeconds) $drainSeconds 5 }}
{{- if lt (int .Values.shutdown.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds + ceil(broker.drainTimeoutMs/1000) + 5 = %d" (int .Values.shutdown.terminationGracePeriodSeconds) (int $needed)) }}
{{- end }}
{{- end }}
