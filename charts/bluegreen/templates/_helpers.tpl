{{/*
Labels shared by every object of the release.
*/}}
{{- define "bluegreen.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The selector of one color's pods: relui lists pods and deployments by
app.kubernetes.io/instance and relui.dev/color, so both must be here.
Call with (dict "root" $ "color" "blue").
*/}}
{{- define "bluegreen.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
relui.dev/color: {{ .color }}
{{- end }}

{{/*
The enabled colors, in a fixed order, as a space-separated string.
*/}}
{{- define "bluegreen.enabledColors" -}}
{{- $enabled := list -}}
{{- range $color := list "blue" "green" -}}
{{- if (index $.Values $color).enabled -}}
{{- $enabled = append $enabled $color -}}
{{- end -}}
{{- end -}}
{{- join " " $enabled -}}
{{- end }}

{{/*
Fail rendering when activeColor names a color that has no Deployment: the
live Service would select no pods and the application would go dark.
*/}}
{{- define "bluegreen.checkActive" -}}
{{- $active := .Values.activeColor -}}
{{- if not (has $active (list "blue" "green")) -}}
{{- fail (printf "activeColor must be blue or green, got %q" (toString $active)) -}}
{{- end -}}
{{- if not (index .Values $active).enabled -}}
{{- fail (printf "activeColor is %s but %s.enabled is false: the live Service would select no pods; set %s.enabled=true with %s.tag, or set activeColor to the running color" $active $active $active $active) -}}
{{- end -}}
{{- end }}
