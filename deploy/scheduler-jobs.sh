#!/usr/bin/env bash
# Cloud Scheduler jobs for the runner: 18:00 IST daily run, 20:00 IST report (weekdays; the runner
# skips NSE holidays itself and runs special sessions). Idempotent: creates or updates.
# Usage: PROJECT_ID=... SERVICE_URL=https://... deploy/scheduler-jobs.sh
set -euo pipefail
: "${PROJECT_ID:?set PROJECT_ID}" "${SERVICE_URL:?set SERVICE_URL (the Cloud Run URL)}"
REGION="${REGION:-asia-south1}"
SCHEDULER_SA="${SCHEDULER_SA:-strategy-engine-scheduler@${PROJECT_ID}.iam.gserviceaccount.com}"

upsert() {
  local name="$1" schedule="$2" path="$3" deadline="$4"
  local verb=create
  if gcloud scheduler jobs describe "$name" --location "$REGION" --project "$PROJECT_ID" >/dev/null 2>&1; then
    verb=update
  fi
  gcloud scheduler jobs "$verb" http "$name" \
    --project "$PROJECT_ID" --location "$REGION" \
    --schedule "$schedule" --time-zone "Asia/Kolkata" \
    --uri "${SERVICE_URL}${path}" --http-method POST \
    --headers "Content-Type=application/json" --message-body '{}' \
    --oidc-service-account-email "$SCHEDULER_SA" --oidc-token-audience "$SERVICE_URL" \
    --attempt-deadline "$deadline" --max-retry-attempts 1 --min-backoff 300s
}

# HTTP targets allow at most a 30 minute attempt deadline; the service keeps running the job
# to completion (timeout 3600 s) even if the scheduler stops waiting.
upsert strategy-engine-daily-run "0 18 * * 1-5" /run 1800s
upsert strategy-engine-evening-report "0 20 * * 1-5" /report 600s
