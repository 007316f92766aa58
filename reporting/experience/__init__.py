"""The experience library (经验做法): districts' cases, reviewed and published by the commission."""
