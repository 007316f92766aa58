"""Spreadsheets for the funds import tests."""

from __future__ import annotations

import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

HEADERS = ["社区代码", "社区名称", "年度", "资金来源", "落实金额（元）", "已支出金额（元）", "备注"]


def csv_bytes(rows, *, headers=None, encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS if headers is None else headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, *, headers=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS if headers is None else headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, name: str, content: bytes):
    return client.post(reverse("funds_import"), {"file": SimpleUploadedFile(name, content)})
