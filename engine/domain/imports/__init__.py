"""Reading the files people bring: the organisation file and last year's action plan,
row by row, with every error named by file, line and field.
"""
