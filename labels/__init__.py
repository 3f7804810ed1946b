"""Pure stamp library: codes, GS1 keys, QR and print outputs. No Flask, no database."""
