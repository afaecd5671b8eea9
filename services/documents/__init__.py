"""Patient documents and images: X-rays, photos, scanned letters, signatures.

Files are sealed (``sealing``) before they reach a store (``storage``), so neither a disk nor a
bucket ever holds a readable image; the database keeps each file's key wrapped by the key ring.
"""
