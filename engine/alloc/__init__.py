"""Task allocation (uppgiftsfördelning, AFS 2023:1 9 § and Bilaga 1): see docs/allocation.md."""
