"""``python -m photohub``."""

from photohub.cli import main

if __name__ == "__main__":
    main()
