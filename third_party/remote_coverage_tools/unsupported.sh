#!/bin/sh
echo "coverage tools are not available in the offline Genesis build" >&2
exit 1
