"""The reviewers' overview: every version's comments by state, reports, placements, and the PDFs to take away."""
