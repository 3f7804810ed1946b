"""Files as people upload them, made on the fly: KML as Google Earth Pro writes it,
Shapefiles and GeoPackages written by GDAL, GPX as a handheld GPS records a walk."""
from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

# A plot in Châu Thành (Tiền Giang, now Đồng Tháp), about 110 m x 110 m.
PLOT = [(106.1001, 10.2001), (106.1011, 10.2001), (106.1011, 10.2011), (106.1001, 10.2011)]


def _coordinates(ring) -> str:
    # Google Earth ends the list with a space.
    return " ".join(f"{x},{y},0" for x, y in [*ring, ring[0]]) + " "


KML_ROOT = ('<kml xmlns="http://www.opengis.net/kml/2.2" '
            'xmlns:gx="http://www.google.com/kml/ext/2.2" '
            'xmlns:kml="http://www.opengis.net/kml/2.2" xmlns:atom="http://www.w3.org/2005/Atom">')
PIN = "http://maps.google.com/mapfiles/kml/pushpin/ylw-pushpin.png"
HOTSPOT = '<hotSpot x="20" y="2" xunits="pixels" yunits="pixels"/>'


def google_earth_kml(name: str = "Vùng trồng sầu riêng.kml") -> str:
    """A KML the way Google Earth Pro saves "My Places": styles, two folders, tessellated
    polygons with altitude 0, a pin and a placemark with no geometry."""
    shifted = [(x + 0.01, y) for x, y in PLOT]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{KML_ROOT}
<Document>
	<name>{name}</name>
	<Style id="s_ylw-pushpin_hl">
		<IconStyle><scale>1.3</scale><Icon><href>{PIN}</href></Icon>{HOTSPOT}</IconStyle>
		<PolyStyle><color>7f00ff00</color></PolyStyle>
	</Style>
	<Style id="s_ylw-pushpin">
		<IconStyle><scale>1.1</scale><Icon><href>{PIN}</href></Icon>{HOTSPOT}</IconStyle>
		<PolyStyle><color>7f00ff00</color></PolyStyle>
	</Style>
	<StyleMap id="m_ylw-pushpin">
		<Pair><key>normal</key><styleUrl>#s_ylw-pushpin</styleUrl></Pair>
		<Pair><key>highlight</key><styleUrl>#s_ylw-pushpin_hl</styleUrl></Pair>
	</StyleMap>
	<Folder>
		<name>Tổ hợp tác Mỹ Long</name>
		<open>1</open>
		<Placemark>
			<name>Lô A1</name>
			<description>Chủ hộ: Nguyễn Văn An</description>
			<styleUrl>#m_ylw-pushpin</styleUrl>
			<Polygon>
				<tessellate>1</tessellate>
				<outerBoundaryIs>
					<LinearRing>
						<coordinates>
							{_coordinates(PLOT)}
						</coordinates>
					</LinearRing>
				</outerBoundaryIs>
			</Polygon>
		</Placemark>
		<Placemark>
			<name>Cổng vườn</name>
			<styleUrl>#m_ylw-pushpin</styleUrl>
			<Point>
				<gx:drawOrder>1</gx:drawOrder>
				<coordinates>106.1001,10.2001,0</coordinates>
			</Point>
		</Placemark>
	</Folder>
	<Folder>
		<name>Hộ lẻ</name>
		<Placemark>
			<name>Lô B2</name>
			<styleUrl>#m_ylw-pushpin</styleUrl>
			<Polygon>
				<tessellate>1</tessellate>
				<outerBoundaryIs>
					<LinearRing>
						<coordinates>
							{_coordinates(shifted)}
						</coordinates>
					</LinearRing>
				</outerBoundaryIs>
			</Polygon>
		</Placemark>
		<Placemark>
			<name>Chưa vẽ</name>
			<styleUrl>#m_ylw-pushpin</styleUrl>
		</Placemark>
	</Folder>
</Document>
</kml>
"""


def zipped(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_layer(path: Path, geoms, props: dict[str, list], *, crs: str | None = None,
                driver: str = "ESRI Shapefile", layer: str | None = None,
                geometry_type: str = "Polygon", append: bool = False) -> None:
    """Features written by GDAL itself, as a GIS program would."""
    wkb = np.array(shapely.to_wkb(list(geoms)), dtype=object)
    columns = [np.array(values) for values in props.values()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no crs": leaving it out is the point
        pyogrio.raw.write(path, wkb, columns, list(props), geometry_type=geometry_type, crs=crs,
                          driver=driver, layer=layer, append=append)


def shapefile(directory: Path, name: str, geoms, props: dict[str, list],
              crs: str | None = None) -> dict[str, bytes]:
    """The files of one Shapefile (.shp, .shx, .dbf, .cpg, and .prj when `crs`)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_layer(directory / f"{name}.shp", geoms, props, crs=crs)
    return {p.name: p.read_bytes() for p in sorted(directory.glob(f"{name}.*"))}


def gpx(*tracks: tuple[str, list[list[tuple[float, float]]]], waypoints: int = 0,
        route: tuple[str, list[tuple[float, float]]] | None = None) -> bytes:
    """GPX 1.1 as a Garmin writes it: each track a name and its segments of (lon, lat)."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="no" ?>',
             '<gpx xmlns="http://www.topografix.com/GPX/1/1" creator="eTrex 10" version="1.1">']
    for i in range(waypoints):
        parts.append(f'<wpt lat="10.2{i}" lon="106.1"><ele>3.1</ele><name>{i:03d}</name></wpt>')
    if route:
        points = "".join(f'<rtept lat="{y}" lon="{x}"/>' for x, y in route[1])
        parts.append(f"<rte><name>{route[0]}</name>{points}</rte>")
    for name, segments in tracks:
        body = "".join(
            "<trkseg>" + "".join(f'<trkpt lat="{y}" lon="{x}"><ele>2.5</ele>'
                                 f"<time>2025-03-01T07:00:00Z</time></trkpt>" for x, y in seg)
            + "</trkseg>" for seg in segments)
        parts.append(f"<trk><name>{name}</name>{body}</trk>")
    parts.append("</gpx>")
    return "\n".join(parts).encode()
