#!/usr/bin/env bash
# The main job in one command (`npm start [video-file]`): set up what is missing, start
# the local stack and the five services, process a video end to end, and keep it all
# running until Ctrl-C. Pass --exit to stop after the video is processed.
exec bash "$(dirname "${BASH_SOURCE[0]}")/with-stack.sh" node --conditions=@hfp/source --import tsx tools/local/src/main.ts "$@"
