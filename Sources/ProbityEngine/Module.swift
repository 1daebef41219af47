// ProbityEngine
