"""Pure spatial library: read, reproject, validate and measure polygons. No Flask, no
database session: Shapely geometries in, plain values out."""
