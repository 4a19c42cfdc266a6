#!/usr/bin/env bash
# Runs one test under the sanitized build and fails it when a sanitizer reported anything.
# Needed because criterion runs each case in a worker whose exit status (where LeakSanitizer
# reports) it ignores: a leaking case would otherwise pass.
log=$(mktemp)
"$@" > >(tee "$log") 2>&1
rc=$?
wait
if grep -qE "ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:" "$log"; then
    echo "sanitize-wrapper: a sanitizer reported an error (see above): failing this test"
    [ $rc = 0 ] && rc=1
fi
rm -f "$log"
exit $rc
