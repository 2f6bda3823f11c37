#!/usr/bin/env bash
# placeholder replaced by the guest build
mkdir -p "$1"
