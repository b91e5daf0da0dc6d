"""Template grammars over gazetteers that synthesize hierarchy-consistent tagged queries."""
