"""The query set of benchmarks/search.py: (kind, query, filters).

Chosen from the shared corpus so that each query means something there (document
frequencies over the 20,213 documents are noted where they guided the choice). A third of
the corpus site is in Traditional script (benchmarks/corpus.py), so every query also
tests folding; the `trad` and `s-on-t` kinds test it on purpose.
"""

QUERIES: list[tuple[str, str, dict[str, str]]] = [
    # whole words, 2-6 characters
    ("word", "办公室", {}),
    ("word", "乡村振兴", {}),
    ("word", "高质量发展", {}),
    ("word", "粤港澳大湾区", {}),
    ("word", "民营经济", {}),
    ("word", "碳达峰", {}),
    ("word", "踔厉奋发", {}),
    # substrings across word boundaries
    ("substring", "村发展", {}),
    ("substring", "济高质", {}),
    ("substring", "兴战略", {}),
    ("substring", "量发", {}),
    ("substring", "水万里", {}),  # the corpus has "一江水 万里长江": a space is a separator, no match there
    # Traditional query on mostly Simplified text
    ("trad", "農村", {}),
    ("trad", "辦公室", {}),
    ("trad", "發展", {}),
    ("trad", "鄉村振興", {}),
    ("trad", "臺灣", {}),
    # Simplified query, rare words whose documents include Traditional ones (d14721, d15327...)
    ("s-on-t", "品主题", {}),
    ("s-on-t", "战火中", {}),
    ("s-on-t", "拉萨八廓", {}),
    # single characters
    ("char", "水", {}),
    ("char", "鹏", {}),
    ("char", "鳌", {}),
    ("char", "鹂", {}),
    ("char", "龍", {}),
    # Latin words (the last typed word is also a prefix)
    ("latin", "GDP", {}),
    ("latin", "APEC", {}),
    ("latin", "CPI", {}),
    ("latin", "RCEP", {}),
    ("latin", "WTO", {}),
    ("latin", "DeepSeek", {}),
    ("latin", "C919", {}),
    ("latin", "PM2.5", {}),
    ("latin", "ＧＤＰ", {}),  # full width: NFKC
    # numbers
    ("number", "2022", {}),
    ("number", "2023年", {}),
    ("number", "7.15", {}),
    ("number", "5.2", {}),
    ("number", "100亿", {}),
    ("number", "3.5%", {}),
    ("number", "２０２２年", {}),
    ("number", "2035 ", {}),  # a finished word (space typed after it): whole word only
    # typed prefixes
    ("prefix", "202", {}),
    ("prefix", "ape", {}),
    ("prefix", "deeps", {}),
    ("prefix", "c91", {}),
    # several terms
    ("multi", "乡村振兴 2022", {}),
    ("multi", "疫情 防控 北京", {}),
    ("multi", "一带一路 合作", {}),
    ("multi", "GDP增长", {}),
    ("multi", "乡村振兴、共同富裕", {}),
    ("multi", "f-16", {}),  # two terms: f, and 16 as a prefix
    ("multi", "鄉村振興 2022", {}),
    ("multi", "中国 经济 改革 开放", {}),
    ("multi", "改革 发展 政府", {}),  # top results are long government work reports
    # quoted phrases
    ("phrase", '"共同富裕"', {}),
    ("phrase", '"一带一路" 合作', {}),
    ("phrase", "“新时代中国特色”", {}),
    ("phrase", '"f-16"', {}),
    ("phrase", '"max 9"', {}),
    ("phrase", '"mq 9"', {}),
    ("phrase", '"GDP 增长"', {}),
    ("phrase", '"C919大飞机"', {}),
    ("phrase", '"新时代 中国特色"', {}),  # spaces between Chinese characters in quotes are dropped
    # rare words (document frequency 1-5)
    ("rare", "燕子归来", {}),
    ("rare", "首例保险", {}),
    ("rare", "图博会", {}),
    ("rare", "合拍电影", {}),
    ("rare", "群山之间", {}),
    # very common words
    ("common", "中国", {}),
    ("common", "发展", {}),
    ("common", "新闻", {}),
    ("common", "习近平", {}),
    ("common", "的", {}),
    # filters (Pagefind: not run, the site declares no Pagefind filters)
    ("filter", "疫情", {"year": "2022"}),
    ("filter", "发展", {"type": "report"}),
    ("filter", "", {"type": "report"}),  # browse: filters alone
    ("filter", "", {"type": "circular"}),
]
