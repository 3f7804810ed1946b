"""HTML pages: public, producer portal, officials' GIS, admin."""
