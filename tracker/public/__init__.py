"""The public progress pages (DESIGN §11): a unit's and a program's figures for anyone, for programs marked public."""
