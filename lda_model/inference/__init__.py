"""From a video file to scores and maps: decoding, face finding and tracking, crops, the analysis pipeline, face quality, weight sources."""
