#!/usr/bin/env bash
# The sign-in → enforce → forced enrolment journey with curl, against `npm run server` on an empty
# data directory (needs curl and jq). Shown step by step in the README.
set -e
API=${API:-http://localhost:4800/api/v1}
J='content-type: application/json'
# 1. First run: the account and its admin
curl -s $API/accounts -H "$J" -d '{"name":"Acme Support","slug":"acme","admin":{"name":"Alice Admin","email":"alice@acme.test","password":"correct horse battery"}}' | jq -c .user
# 2. The admin signs in and sets up an authenticator app
ADMIN=$(curl -s $API/sessions -H "$J" -d '{"account":"acme","email":"alice@acme.test","password":"correct horse battery"}' | jq -r .token)
TOTP=$(curl -s $API/me/methods/totp -H "$J" -H "authorization: Bearer $ADMIN" -d '{}')
SECRET=$(echo "$TOTP" | jq -r .secret); ID=$(echo "$TOTP" | jq -r .id)
CONFIRM=$(curl -s $API/me/methods/totp/$ID/confirm -H "$J" -H "authorization: Bearer $ADMIN" \
  -d "{\"code\":\"$(npm run -s agentdesk -- totp-code $SECRET)\"}")
echo "$CONFIRM" | jq -c '{method: .method.name, session: .session.state}'
echo "$CONFIRM" | jq -c .recoveryCodes   # the 10 recovery codes, shown this once: keep them somewhere safe
ADMIN=$(echo "$CONFIRM" | jq -r .token)   # passing a second factor issues a new token; the old one ended
# 3. An agent without 2FA signs in and opens the event stream
#    (invited: without mail configured the admin gets the link; Ana opens it and chooses her password)
LINK=$(curl -s $API/account/users -H "$J" -H "authorization: Bearer $ADMIN" -d '{"name":"Ana Agent","email":"ana@acme.test","role":"agent"}' | jq -r .invitation.link)
curl -s $API/invitations/accept -H "$J" -d "{\"token\":\"${LINK##*token=}\",\"password\":\"another good password\"}" | jq -c .user
AGENT=$(curl -s $API/sessions -H "$J" -d '{"account":"acme","email":"ana@acme.test","password":"another good password"}' | jq -r .token)
curl -sN $API/events -H "authorization: Bearer $AGENT" > "${EVENTS_FILE:-/tmp/agent-events.txt}" &
sleep 1
# 4. The admin previews the impact, then requires 2FA
curl -s $API/account/security-settings/impact -H "authorization: Bearer $ADMIN" | jq -c .
curl -s -X PUT $API/account/security-settings -H "$J" -H "authorization: Bearer $ADMIN" -d '{"requireTwoFactor":true,"acknowledged":true}' | jq -c .
sleep 0.5; cat "${EVENTS_FILE:-/tmp/agent-events.txt}"
# 5. The agent is signed out; the next sign-in must enrol
curl -s $API/me -H "authorization: Bearer $AGENT" | jq -c .error
curl -s $API/sessions -H "$J" -d '{"account":"acme","email":"ana@acme.test","password":"another good password"}' | jq -c .session
